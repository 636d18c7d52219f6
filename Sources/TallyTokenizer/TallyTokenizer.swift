// TallyTokenizer: filled by its issue.
