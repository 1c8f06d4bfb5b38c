"""The pipeline: the board, stage moves, lost reasons, assignment and the first-response clock."""
