"""``airlift validate``: both formats checked, and checked against each other."""
