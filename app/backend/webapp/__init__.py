"""The reference backend: a small JSON API, the same code on cloud.gov, in its image and on AWS Lambda."""
