"""The production-shape e2e project: the AirliftComponent with versioned defs state."""
