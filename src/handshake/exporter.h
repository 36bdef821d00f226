// Keying material for the application, from a completed handshake
// (SSL_export_keying_material): RFC 8446 7.5 for TLS 1.3, RFC 5705 4 for
// TLS 1.2.
#pragma once

#include <string_view>

#include "common/result.h"
#include "handshake/handshake.h"

namespace rapidtls::handshake {

// Fills `out` with the exporter's output for `label` and `context`. A null
// `context` means none was given: TLS 1.3 then uses an empty one (RFC 8446
// 7.5 makes the two the same), TLS 1.2 leaves it out of the PRF's seed (RFC
// 5705 4 makes them differ). Fails with SSL_R_TLS_ILLEGAL_EXPORTER_LABEL for a
// label TLS reserves (TLS 1.2: one starting with a label the PRF uses for
// TLS's own secrets) or one too long to encode (TLS 1.3: over 249 bytes), and
// when the session has no secret to export from.
Status export_keying_material(const SessionInfo& session, std::string_view label,
                              const Bytes* context, MutBytes out);

// TLS 1.3's exporter_master_secret: the one settled, or derived afresh.
Result<Secret> exporter_master_secret(const SessionInfo& session);

// Before TLS 1.3 traffic keys change (KeyUpdate): derives the exporter master
// secret into the session and wipes the Master Secret and the transcript hash
// it came from. Nothing to do for TLS 1.2 or once settled.
Status settle_exporter_secret(SessionInfo& session);

}  // namespace rapidtls::handshake
