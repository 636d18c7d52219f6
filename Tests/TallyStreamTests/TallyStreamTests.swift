// Tests for TallyStream.
