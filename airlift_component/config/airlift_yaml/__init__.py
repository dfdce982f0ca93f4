"""The ``airlift.yaml`` format: its models, rules, placeholders and loading."""
