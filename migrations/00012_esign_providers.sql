-- +goose Up
-- Real e-sign providers (DocuSign, Dropbox Sign). Extensions of the seed's doc_instance:
-- - envelope_provider: which provider holds the envelope (sandbox, docusign,
--   dropboxsign), so webhooks, voids and downloads go to the right one even after
--   ESIGN_PROVIDER changes.
-- - envelope_recipients: each signer's id at the provider by role (DocuSign recipientId,
--   Dropbox Sign signature_id), stored at send, so every webhook maps back to our signer
--   (Dropbox Sign sends signer_role null for requests without template roles).
-- - envelope_error: a provider's permanent refusal of the send, with its own text, for
--   on-call (`trace`, `jobs list`).
-- - signed_pdf_* / certificate_pdf_*: the executed copy and DocuSign's certificate of
--   completion, written once under the bucket's lock beside the original, and their
--   SHA-256; the pack is signed only once every executed copy is stored.
alter table doc_instance add column envelope_provider text;
alter table doc_instance add column envelope_recipients jsonb;
alter table doc_instance add column envelope_error text;
alter table doc_instance add column signed_pdf_s3 text;
alter table doc_instance add column signed_pdf_sha256 text;
alter table doc_instance add column certificate_pdf_s3 text;
alter table doc_instance add column certificate_pdf_sha256 text;
-- Set together or not at all: a copy is stored before its hash is recorded.
alter table doc_instance add constraint doc_instance_signed_pdf_chk
  check ((signed_pdf_s3 is null) = (signed_pdf_sha256 is null));
alter table doc_instance add constraint doc_instance_certificate_pdf_chk
  check ((certificate_pdf_s3 is null) = (certificate_pdf_sha256 is null));

-- +goose Down
alter table doc_instance drop constraint doc_instance_certificate_pdf_chk;
alter table doc_instance drop constraint doc_instance_signed_pdf_chk;
alter table doc_instance drop column certificate_pdf_sha256;
alter table doc_instance drop column certificate_pdf_s3;
alter table doc_instance drop column signed_pdf_sha256;
alter table doc_instance drop column signed_pdf_s3;
alter table doc_instance drop column envelope_error;
alter table doc_instance drop column envelope_recipients;
alter table doc_instance drop column envelope_provider;
