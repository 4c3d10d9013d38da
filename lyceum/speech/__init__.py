"""Speech: the pronunciation assessment engine (``lyceum.speech.engine``) and its API."""
