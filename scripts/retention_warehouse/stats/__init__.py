"""Pure statistics, no I/O: the CLV models (BG/NBD, Gamma-Gamma) and the churn-risk logistic regression."""
