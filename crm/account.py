"""Your own account: password, second factor and recovery codes."""
