"""YAML machinery shared by both formats: positions, bounded reads, minimal-diff edits."""
