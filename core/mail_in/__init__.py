"""Mail that arrives: reply addresses (addresses.py), fetching from IMAP (fetch.py), reading a
mail (parse.py) and finding its lead (thread.py)."""
