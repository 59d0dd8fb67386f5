FROM debian:12
# hadolint ignore=DL3009
RUN apt-get update && apt-get install -y curl
RUN cd /app && make
USER root
CMD curl --version
