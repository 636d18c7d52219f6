// Tests for TallyPricing.
