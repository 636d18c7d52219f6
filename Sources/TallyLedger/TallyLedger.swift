// TallyLedger: filled by its issue.
