#!/usr/bin/env bash
# LocalStack runs this once its services are up. trustdocs' resources are not created
# here: `pipelinectl bootstrap` creates them through the SDK, exactly as in a real
# account, so LocalStack tests the provisioning code too. This script only checks that
# the services bootstrap needs answer, then marks the container healthy.
set -euo pipefail
awslocal sqs list-queues >/dev/null
awslocal sns list-topics >/dev/null
awslocal s3api list-buckets >/dev/null
awslocal dynamodb list-tables >/dev/null
touch /tmp/trustdocs-ready
echo "trustdocs: LocalStack ready; run pipelinectl bootstrap"
