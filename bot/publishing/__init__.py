"""Publishing issues: a plan of steps with stable keys, an outbox that runs each once, outlets."""
