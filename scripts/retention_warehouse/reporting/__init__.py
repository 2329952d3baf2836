"""Reading the built marts back: headline numbers, the churn backtest verdict, the HTML dashboard."""
