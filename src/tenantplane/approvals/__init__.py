"""ITSM approval workflows: approval definitions and the pure workflow engine that runs their instances."""
