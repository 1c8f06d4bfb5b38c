"""Personal data on request: export everything about a person, anonymise, retention."""
