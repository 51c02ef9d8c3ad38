# syntax=docker/dockerfile:1
# A model image: the demo model's folder under /models, for the Helm chart's init container (models.source: image),
# which copies it into the pod's model volume. Any model folder works the same way (MODEL=<folder under models/>).
#
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/models.Dockerfile -t edgecloudvlm-models:shapes-vqa-1.0.0 .

FROM busybox:1.37
ARG MODEL=shapes-vqa
COPY models/${MODEL}/ /models/${MODEL}/
USER 1654:1654
