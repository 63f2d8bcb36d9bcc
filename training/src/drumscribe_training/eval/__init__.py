"""Evaluation: scores per lane on a split, reports, comparisons between models, listening checks."""
