// Tests for TallyTokenizer.
