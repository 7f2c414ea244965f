"""Legal holds: the use case every entry point calls to place, release and ask about holds."""
