// Tests for the tally command.
