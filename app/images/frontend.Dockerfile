# The frontend's image: `docker build -f app/images/frontend.Dockerfile app/frontend`. PYTHON names the base
# (the tests build it on a Python image of their own, since they pull nothing).
ARG PYTHON=python:3.12-slim
FROM ${PYTHON}
COPY index.html /srv/
EXPOSE 8080
CMD ["python3", "-m", "http.server", "8080", "--directory", "/srv"]
