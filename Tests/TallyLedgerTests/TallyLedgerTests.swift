// Tests for TallyLedger.
