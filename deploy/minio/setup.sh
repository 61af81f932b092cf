#!/bin/sh
# One-shot set-up of the MinIO documents bucket (compose.yaml's "minio-setup" service, run with
# the minio/mc image). Safe to run again: every step is idempotent.
#   - the bucket, private (no anonymous access), with versioning: a deleted or overwritten photo
#     stays recoverable as a non-current version for JIEDAO_S3_NONCURRENT_DAYS days, then goes;
#   - the app's own access key, allowed only object reads/writes/deletes in this one bucket
#     (not the root credentials, which stay with this script).
# Not run in this project's CI (no Docker engine there): see docs/deploy.md.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${JIEDAO_S3_BUCKET:?}"
: "${JIEDAO_S3_ACCESS_KEY_ID:?}" "${JIEDAO_S3_SECRET_ACCESS_KEY:?}"
NONCURRENT_DAYS="${JIEDAO_S3_NONCURRENT_DAYS:-30}"
BUCKET="$JIEDAO_S3_BUCKET"
POLICY=/tmp/jiedao-documents-policy.json
LIFECYCLE=/tmp/jiedao-documents-lifecycle.json

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "local/$BUCKET"
mc anonymous set none "local/$BUCKET"
mc version enable "local/$BUCKET"

cat > "$LIFECYCLE" <<JSON
{"Rules": [{
  "ID": "jiedao-expire-noncurrent",
  "Status": "Enabled",
  "Filter": {"Prefix": ""},
  "NoncurrentVersionExpiration": {"NoncurrentDays": $NONCURRENT_DAYS},
  "Expiration": {"ExpiredObjectDeleteMarker": true}
}]}
JSON
mc ilm import "local/$BUCKET" < "$LIFECYCLE"

cat > "$POLICY" <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
   "Resource": ["arn:aws:s3:::$BUCKET"]},
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
   "Resource": ["arn:aws:s3:::$BUCKET/*"]}
]}
JSON
mc admin policy create local jiedao-documents "$POLICY"
if ! mc admin user info local "$JIEDAO_S3_ACCESS_KEY_ID" >/dev/null 2>&1; then
    mc admin user add local "$JIEDAO_S3_ACCESS_KEY_ID" "$JIEDAO_S3_SECRET_ACCESS_KEY"
fi
mc admin policy attach local jiedao-documents --user "$JIEDAO_S3_ACCESS_KEY_ID" 2>/dev/null || true
echo "bucket $BUCKET ready"
