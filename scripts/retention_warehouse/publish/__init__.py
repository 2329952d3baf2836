"""Write-audit-publish: build and test aside, then swap the tested build in for BI, per engine."""
