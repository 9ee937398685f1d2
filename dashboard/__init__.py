"""dashboard: the Streamlit app (issue #5); reads the incident store, never parses articles."""
