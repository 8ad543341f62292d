"""The reference backend: a small JSON API, the same code on cloud.gov (gunicorn) and AWS Lambda."""
