"""The client checks, run by pytest over recorded client runs (``verify-client``)."""
