// The sans-IO TLS connection: bytes received from the peer go in through
// receive(), bytes to send come out of pending_output(), application data
// goes in through send_app() and out through read_app(). It never calls a
// system function: the caller moves the bytes (io/ and ssl/ do, over
// sockets and BIOs). Random values and time come from the Config, so a
// connection is deterministic given them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/buffer.h"
#include "common/result.h"
#include "handshake/handshake.h"
#include "handshake/messages12.h"
#include "record/record.h"

namespace rapidtls::conn {

using handshake::Role;

// Every count a peer controls has a limit (and a test that crosses it).
// A handshake message larger than this is refused: it bounds the bytes held
// while a message arrives in pieces (certificate chains are the largest).
constexpr size_t kMaxHandshakeMessageSize = size_t{1} << 17;
// Consecutive records that carry no application data (empty records,
// change_cipher_spec, warning alerts): stops a peer from keeping us busy.
constexpr int kMaxEmptyRecords = 32;
// Consecutive KeyUpdates without application data in between.
constexpr int kMaxKeyUpdates = 32;
// Consecutive TLS 1.2 renegotiation requests declined (no_renegotiation)
// without application data in between.
constexpr int kMaxDeclinedRenegotiations = 32;
// Tickets a client keeps; older ones are dropped first.
constexpr size_t kMaxStoredTickets = 8;
// NewSessionTickets taken in per connection; later ones are ignored.
constexpr uint64_t kMaxTicketsPerConnection = 64;
// The longest ticket a client keeps: one it can offer again (RFC 8446
// 4.2.11: the identity, its age and a binder inside a 16-bit length).
constexpr size_t kMaxOfferedTicket = 60000;
// Received bytes buffered while application data waits to be read.
constexpr size_t kReceiveBufferLimit = 4 * record::kMaxRecord;
// RFC 8446 4.2.10: early data a server declines is skipped, up to this many
// bytes of records (we never advertise a max_early_data_size, so this bounds
// what a client may send before its second flight).
constexpr size_t kMaxSkippedEarlyData = size_t{1} << 16;
// RFC 8446 5.5: AES-GCM keys may protect about 2^24.5 full records; we
// update our sending key well before that, for every suite.
constexpr uint64_t kRecordsPerKey = uint64_t{1} << 24;
// send_app_to cuts a last, shorter record to fill the room it was lent when
// at least this much plaintext fits.
constexpr size_t kMinLentRecord = 1024;
// TLS 1.3 records opened into a reader's buffer decrypt their last this many
// bytes (content type, padding) elsewhere; smaller records entirely.
constexpr size_t kOpenScratch = 512;

enum class CloseState : uint8_t { open, sent, received, both };

class Connection final : private handshake::HandshakeIo {
 public:
  Connection(Role role, std::shared_ptr<const handshake::Config> config,
             handshake::ClientOptions options = {});
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Role role() const { return role_; }
  // The application's callbacks for this connection and its handshakes
  // (handshake/callbacks.h): never owned, and must outlive the connection.
  // Null: none (every default).
  void set_callbacks(handshake::ConnectionCallbacks* callbacks);
  // The configuration, and its replacement for this connection's handshakes
  // from the next step on (verification settings changed by the application).
  const std::shared_ptr<const handshake::Config>& config() const { return config_; }
  void set_config(std::shared_ptr<const handshake::Config> config);

  // Starts the handshake (a client queues its ClientHello). Called by the
  // first receive() or send_app() if not before.
  Status start();

  // Takes received bytes, processes every whole record, and returns how many
  // bytes it took: fewer than offered only while unread application data
  // fills the receive buffer (read it, then offer the rest again).
  Result<size_t> receive(Bytes in);

  // The same without a copy: room for up to `max` received bytes inside the
  // connection's buffer (possibly less, never more than the buffer limit
  // allows: empty when full); write into it, then commit what arrived.
  MutBytes receive_buffer(size_t max);
  Status commit_received(size_t n);
  // Bytes received but not yet processed as whole records.
  size_t unprocessed() const { return in_.size() - (app_len_ ? app_record_size_ : 0); }

  // Bytes waiting to be sent, and how many of them the transport took.
  Bytes pending_output() const { return out_.data(); }
  void consume_output(size_t n);
  bool wants_write() const { return !out_.empty(); }

  // Zero-copy paths for transports that lend their own memory (a BIO pair's
  // buffer): usable only while nothing is queued in either direction, so
  // records stay in order. send_app_to seals records of `data` into `dest`
  // (as many as fit; the last one cut shorter to fill it when at least
  // kMinLentRecord bytes fit) and returns the plaintext bytes taken, setting
  // *used to the bytes of dest written; 0 taken: use send_app. read_app_from
  // opens whole held records from `in` straight into `out` (as many as fit)
  // and returns the bytes of `in` consumed, adding to *written the
  // application bytes; it stops at a record it cannot take that way (one
  // still arriving, or larger than what is left of `out`): receive() it.
  Result<size_t> send_app_to(Bytes data, MutBytes dest, size_t* used);
  size_t read_app_from(Bytes in, MutBytes out, size_t* written);
  bool idle_in() const { return in_.empty() && app_pending() == 0; }

  // Seals application data into records (at most 2^14 bytes each), straight
  // from `data` into the output buffer. Returns the bytes taken: all of
  // them, or an error. Fails before the handshake is done.
  Result<size_t> send_app(Bytes data);
  // The sealed size of `n` application bytes (record headers and tags included).
  size_t sealed_size(size_t n) const;
  // The application bytes to seal for one write to a stream transport: whole
  // records, as many as fit in `wire_max` bytes once sealed, at least one.
  size_t app_bytes_per_write(size_t wire_max) const;
  // The application bytes of one full record (2^14, or less after the peer's
  // RFC 8449 record_size_limit).
  size_t send_fragment() const { return send_limit_; }
  // The bytes the output buffer holds allocated (0 when released).
  size_t send_buffer_capacity() const { return out_.capacity(); }

  // Application data out: returns the bytes written to `out` (0 when none is
  // waiting), from as many records as it can take. Records held unopened
  // (set_open_on_read) are decrypted straight into `out` when their
  // plaintext fits, else in place and copied out piece by piece.
  size_t read_app(MutBytes out);
  size_t peek_app(MutBytes out);
  // The application bytes the last record carried: a peer sending records
  // of the full size (RFC 8446 5.1: 2^14) has more than one to send.
  size_t last_app_record() const { return last_app_record_; }
  // Decrypted application bytes waiting to be read (SSL_pending).
  size_t app_pending() const { return app_len_ - app_read_; }
  // Whether read_app() has something to work on: decrypted bytes, or a whole
  // record held unopened (which may turn out to carry no application data).
  bool app_readable() const;

  // Off (the default): every record is opened as soon as it arrives. On:
  // once the handshake is done, records that may carry application data are
  // held unopened until read_app(), which decrypts them into the reader's
  // buffer: one copy less. Records are still processed in order.
  void set_open_on_read(bool on) { open_on_read_ = on; }
  // How many more bytes to take from the transport when the reader has
  // `room` bytes of buffer: never so many that a whole record would be left
  // held after read_app() fills that buffer, so a reader waiting on the
  // transport (poll) never waits for data already taken (OpenSSL without
  // read-ahead keeps every later record in the kernel). At least what the
  // record under way still needs; plus, with `next_header`, the header of the
  // record after it, whose body then still waits in the transport.
  size_t receive_allowance(size_t room, bool next_header = true) const;

  // RFC 8446 4.6.3: update our sending keys, and ask the peer to update too.
  Status key_update(bool request_peer_update);
  // RFC 8446 4.6.2, a TLS 1.3 server: asks for the client's certificate now
  // (a CertificateRequest is queued); the client's Certificate,
  // CertificateVerify and Finished are taken with the records that follow,
  // verified as Config::verify says, and then session()->peer_chain holds
  // the chain. Fails when the client did not offer it
  // (SSL_R_EXTENSION_NOT_RECEIVED) or a request is still unanswered.
  Status request_client_certificate();
  bool client_certificate_pending() const { return pha_ != nullptr; }
  // TLS 1.2 (RFC 5246 7.4.1.1, RFC 5746): a client starts a new handshake; a
  // server sends HelloRequest. Needs secure renegotiation.
  Status renegotiate();
  // A TLS 1.2 renegotiation is under way (a handshake after the first).
  bool renegotiating() const { return handshake_ != nullptr && session_ != nullptr; }
  // Handshakes completed (the first, then each renegotiation).
  int handshakes_completed() const { return handshakes_completed_; }
  uint16_t version() const { return version_; }
  // Sends close_notify (once). Writing afterwards fails.
  Status close();
  // Ends the connection for a reason found above the engine (an API misuse the
  // C interface treats as fatal): records the error and queues its alert
  // (unless `send_alert` is false: nothing can be sent any more).
  Error abort(Error e, bool send_alert = true) { return fail(e, send_alert); }

  // ---- Kernel TLS (io/ktls.h): a kernel seals our records -------------------------------
  // Our sending keys as they stand, for a kernel to seal with from the next
  // record on. Only once the handshake is done (no TLS 1.2 renegotiation
  // under way), nothing is queued, no error or close_notify: else an error.
  Result<record::RecordKeys> write_keys_for_kernel() const;
  // From now on records are queued unprotected, as plain records (the
  // 5-byte header with the real content type and the plaintext's length,
  // then the plaintext) for the transport to give the kernel with their
  // type (pending_output() holds whole plain records). A TLS 1.3 key change
  // (KeyUpdate, ours or at the peer's request) queues the KeyUpdate as such
  // a record, and its new keys wait in pending_write_rekey() until the
  // transport has installed them after it. TLS 1.2 renegotiation is declined
  // (no_renegotiation, a warning), as with a peer that cannot do it safely
  // (also when only the receiving side was handed off).
  void hand_off_write() { write_handed_off_ = true; }
  bool write_handed_off() const { return write_handed_off_; }
  // The new sending keys that wait, and in *after how many queued bytes
  // leave under the old ones first (the KeyUpdate's record among them); null
  // when none wait. write_rekey_installed(): the kernel has them.
  const record::RecordKeys* pending_write_rekey(size_t* after) const {
    if (!write_rekey_) return nullptr;
    *after = write_rekey_after_;
    return &*write_rekey_;
  }
  void write_rekey_installed() { write_rekey_.reset(); }
  // The receiving side likewise: the peer's keys as they stand, once the
  // handshake is done and nothing received waits unprocessed or unread.
  // After hand_off_read() what arrives are plain records the kernel opened
  // (the transport writes the header: real type, plaintext length); a TLS
  // 1.3 KeyUpdate from the peer leaves its new keys in pending_read_rekey()
  // for the transport to install before it reads again.
  Result<record::RecordKeys> read_keys_for_kernel() const;
  void hand_off_read() {
    read_handed_off_ = true;
    open_on_read_ = false;  // records arrive opened
  }
  bool read_handed_off() const { return read_handed_off_; }
  const record::RecordKeys* pending_read_rekey() const {
    return read_rekey_ ? &*read_rekey_ : nullptr;
  }
  void read_rekey_installed() { read_rekey_.reset(); }
  // A handed-off direction: `n` bytes of plain records' payloads have left
  // (the transport sends payloads, not headers); drops those records, and
  // of a record only partly sent the part that left (its header is moved).
  void consume_plain_payload(size_t n);

  bool handshake_done() const { return handshake_ == nullptr && session_ != nullptr; }
  bool peer_closed() const {
    return close_state_ == CloseState::received || close_state_ == CloseState::both;
  }
  bool close_sent() const {
    return close_state_ == CloseState::sent || close_state_ == CloseState::both;
  }
  // The first fatal error, local or from the peer's alert; sticks.
  const std::optional<Error>& error() const { return error_; }
  // Whether the fatal error came from a peer's alert.
  bool error_from_peer() const { return error_from_peer_; }

  // Available once the handshake is done.
  const handshake::SessionInfo* session() const { return session_.get(); }
  // The hellos' randoms as far as they are known: the handshake under way's
  // (a renegotiation's too) once it has them, else the last completed one's;
  // zeros before (SSL_get_client_random, SSL_get_server_random).
  handshake::Random hello_client_random() const;
  handshake::Random hello_server_random() const;
  // A client: the certificate authorities (DER Names) of the server's last
  // CertificateRequest, from the handshake under way (a client certificate
  // callback asks during it) or else the last completed one.
  const std::vector<ByteVec>& peer_ca_names() const;
  // The peer certificate's X509_V_* verification result, also while (or
  // after) a handshake fails: SSL_get_verify_result reports why. Computed now
  // if the handshake deferred it (VerifyMode::none).
  long peer_verify_result();
  // What a client can resume later: TLS 1.3 NewSessionTickets, and the
  // session of a TLS 1.2 handshake (by session id or RFC 5077 ticket) when
  // it completes.
  const std::vector<handshake::StoredTicket>& tickets() const { return tickets_; }
  // Sessions taken in so far (tickets() keeps the latest few).
  uint64_t tickets_received() const { return tickets_received_; }
  // With set_queue_new_tickets(true) every ticket taken in is also queued
  // until take_new_tickets() (the C interface's new-session callback gets
  // each, however many came in one read).
  void set_queue_new_tickets(bool on) { queue_new_tickets_ = on; }
  bool has_new_tickets() const { return !new_tickets_.empty(); }
  std::vector<handshake::StoredTicket> take_new_tickets() {
    std::vector<handshake::StoredTicket> out;
    out.swap(new_tickets_);
    return out;
  }
  // Whether the handshake has begun (start(), or the first receive or send).
  bool started() const { return started_; }
  const char* state_name() const;
  const handshake::Random& client_random() const { return client_random_; }

  // Gives back the record buffers when nothing is queued (an idle connection).
  void release_buffers();
  // The same for each of the receive and send buffers alone.
  void release_receive_buffer();
  // Gives back the send buffer when empty and larger than `above` bytes (a
  // big write's buffer does not outlive it; small ones are kept for reuse).
  void release_send_buffer(size_t above = 0);

 private:
  // HandshakeIo
  Status send_message(Bytes message) override;
  Status send_change_cipher_spec() override;
  Status set_read_keys(const handshake::TrafficKeys& keys, handshake::Epoch epoch) override;
  Status set_write_keys(const handshake::TrafficKeys& keys, handshake::Epoch epoch) override;
  void set_send_fragment_limit(size_t limit) override {
    send_limit_ = limit;
    // RFC 8449 4: the peer supports the extension, so ours is in force too.
    if (config_->record_size_limit) receive_limit_ = *config_->record_size_limit;
  }
  // RFC 8449 4: a protected TLS 1.3 record whose inner plaintext exceeds the
  // limit we advertised is record_overflow.
  Status check_receive_limit(size_t record_size) const;
  void set_version(uint16_t version) override { version_ = version; }
  // The record size and sealing (plain records once the kernel seals).
  size_t record_size(size_t n) const;
  Status seal_one(uint8_t* at, record::ContentType type, Bytes plain);
  bool write_protected() const { return sealer_.protected_(); }
  // TLS 1.3: our sending keys have carried kRecordsPerKey records.
  bool write_keys_worn() const {
    const record::Protection* p = sealer_.protection();
    return p != nullptr && p->hides_content_type() && p->sequence() >= kRecordsPerKey;
  }
  // A change_cipher_spec record (opened if it was protected): TLS 1.2's
  // message, or TLS 1.3's compatibility record (RFC 8446 D.4).
  Status on_change_cipher_spec(Bytes record, Bytes payload);
  Status on_change_cipher_spec12(Bytes payload);
  Status on_hello_request();
  Status on_renegotiating_client_hello(Bytes body, Bytes whole);
  void skip_early_data(bool on) override { skipping_early_data_ = on; }
  bool more_in_record() const override { return more_in_record_; }
  void replace_config(std::shared_ptr<const handshake::Config> config) override {
    set_config(std::move(config));
  }

  Status process_records();
  // Whether the whole record `rec` (its header at least) is held for read_app.
  bool held_for_reader(Bytes rec) const;
  // Opens the held record at the head of the receive buffer into `out` (or in
  // place when it does not fit); false if there is none or it failed.
  bool open_head(MutBytes out, size_t* written);
  // Opens the whole held record `rec` straight into `out`, which has room for
  // its plaintext (held_plaintext_room); handles it. Failures are fatal.
  Status open_held_into(Bytes rec, MutBytes out, size_t* written);
  size_t held_plaintext_room(size_t record_size) const;
  // Checks before application data is sealed.
  Status check_can_send();
  // Accounting and checks for a record carrying `n` application bytes.
  Status on_app_data(size_t n);
  Status process_record(MutBytes record, bool* keep_record);
  Status on_handshake_bytes(Bytes payload);
  Status on_handshake_message(handshake::HandshakeType type, Bytes body, Bytes whole);
  Status on_post_handshake_message(handshake::HandshakeType type, Bytes body, Bytes whole);
  Status dispatch_record(const record::OpenedRecord& opened, Bytes rec, bool* keep_record);
  Status on_alert(Bytes payload);
  // An empty record (one that carries nothing) against kMaxEmptyRecords.
  Status count_empty_record();
  Status on_new_session_ticket(Bytes body);
  // Keeps a session to resume (tickets(), and the queue of new ones).
  void keep_ticket(handshake::StoredTicket t);
  Status on_key_update(Bytes body);
  Status update_write_keys();
  Status flush_handshake();
  Status seal_records(record::ContentType type, Bytes data);
  void finish_handshake();
  // Records the first fatal error and queues its alert (when `send_alert`).
  Error fail(Error e, bool send_alert = true);

  Role role_;
  std::shared_ptr<const handshake::Config> config_;
  // A client's name for the certificate check when not its SNI
  // (ClientOptions::verify_host): a renegotiation checks the same name.
  std::string verify_host_;
  bool check_server_name_ = true;                    // ClientOptions::check_server_name
  std::unique_ptr<handshake::Handshake> handshake_;  // freed when the handshake is done
  std::unique_ptr<handshake::SessionInfo> session_;
  handshake::Random client_random_{};
  bool started_ = false;

  record::Sealer sealer_;
  record::Opener opener_;
  uint16_t version_ = 0;  // 0 until negotiated
  int handshakes_completed_ = 0;
  bool hello_request_sent_ = false;
  handshake::ConnectionCallbacks* callbacks_ = &handshake::no_callbacks();
  // A server's post-handshake CertificateRequest under way (RFC 8446 4.6.2).
  struct ClientAuthRequest {
    enum class Step : uint8_t { certificate, certificate_verify, finished };
    handshake::Transcript transcript;  // through the request, then each answer
    ByteVec context;
    Step step = Step::certificate;
    std::vector<crypto::Certificate> chain;
  };
  std::unique_ptr<ClientAuthRequest> pha_;
  uint32_t pha_requests_ = 0;  // contexts are made unique with this
  // A client's answer to a post-handshake CertificateRequest; a server's
  // handling of the answer to its own.
  Status on_certificate_request(Bytes body, Bytes whole);
  Status on_client_auth_message(handshake::HandshakeType type, Bytes body, Bytes whole);
  // ConnectionCallbacks::on_message for what is sent or was received: handshake data
  // message by message (`data` holds whole messages).
  void trace(bool sent, record::ContentType type, Bytes data) const;
  std::optional<handshake::Epoch> read_epoch_;
  std::optional<handshake::Epoch> write_epoch_;
  size_t send_limit_ = record::kMaxPlaintext;  // RFC 8449 record_size_limit of the peer
  size_t receive_limit_ = 0;  // ours, once the peer has shown it supports RFC 8449 (0: none)
  bool read_keys_changed_ = false;
  bool write_handed_off_ = false;
  bool read_handed_off_ = false;
  std::optional<record::RecordKeys> read_rekey_;   // kernel TLS: the peer's keys after a KeyUpdate
  std::optional<record::RecordKeys> write_rekey_;  // kernel TLS: keys after a KeyUpdate
  size_t write_rekey_after_ = 0;                   // queued bytes under the old keys
  bool record_seen_ = false;     // a whole record was processed (OpenSSL: not the first)
  bool more_in_record_ = false;  // handshake bytes follow the message being handled

  Buffer in_;            // received, not yet processed (the head record may hold unread app data)
  Buffer out_;           // sealed records waiting for the transport
  ByteVec hs_in_;        // handshake bytes of a message still arriving
  ByteVec hs_out_;       // handshake messages waiting to be sealed together
  size_t app_len_ = 0;   // application bytes in the head record of in_ (0: none)
  size_t app_read_ = 0;  // of which already read
  size_t app_record_size_ = 0;
  size_t app_offset_ = 0;  // where the plaintext starts in the head record

  bool open_on_read_ = false;
  size_t last_app_record_ = 0;
  bool skipping_early_data_ = false;
  size_t skipped_early_data_ = 0;
  int empty_records_ = 0;
  int key_updates_ = 0;
  int declined_renegotiations_ = 0;
  bool sent_key_update_request_ = false;
  CloseState close_state_ = CloseState::open;
  std::optional<Error> error_;
  bool error_from_peer_ = false;
  std::vector<handshake::StoredTicket> tickets_;
  uint64_t tickets_received_ = 0;
  uint64_t tickets_seen_ = 0;  // NewSessionTickets parsed, kept or not
  std::shared_ptr<const std::vector<crypto::Certificate>> ticket_chain_;
  bool queue_new_tickets_ = false;
  std::vector<handshake::StoredTicket> new_tickets_;
};

}  // namespace rapidtls::conn
