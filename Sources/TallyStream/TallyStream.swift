// TallyStream: filled by its issue.
