# The backend's image: `docker build -f app/images/backend.Dockerfile app/backend`. PYTHON names the base
# (the tests build it on a Python image of their own, since they pull nothing).
ARG PYTHON=python:3.12-slim
FROM ${PYTHON}
WORKDIR /app
COPY webapp/ webapp/
ENV PORT=8080
EXPOSE 8080
CMD ["python3", "-m", "webapp.serve"]
