// SPDX-License-Identifier: MIT
#pragma once

// One upload: HELLO, any GET_HASHES (answered from the share list), GET,
// then the range asked for. The file is looked up by the id
// the index listed, must still be a regular file inside its share root
// (resolved with realpath on the thread pool, so a symlink swapped in since
// the scan cannot lead outside), and is read in chunks on the thread pool,
// each read only while the socket has room for it. A file that changes
// while it is sent (its stat differs after a read from what it was at the
// open, or at the open from what was hashed) ends the upload: no mixed data.
// A hashed file whose blocks this napeerd has seen match their hashes
// (SharedFile::all_confirmed: hashed here, or checked by an earlier upload)
// goes zero-copy: sendfile from the page cache to the socket, over windows
// the thread pool has asked the kernel to read ahead, with the stat checked
// at each window. Any other hashed file (hashes from the hash cache, which
// can lie) is read a whole block at a time (content/block_read.h) and each
// block is checked against its leaf on the thread pool before any of it is
// sent: a block that does not match ends the upload, and the file is
// hashed again; one that matches is confirmed. GET_OK waits for the first
// read (or window), so a file that cannot be read, or whose first block
// does not match, is refused with ERROR.
//
// Ownership: owned by UploadServer's registry; a ConnectionSession, freed
// once its connection has closed and no open or read of its is in flight
// (each holds it). The file descriptor is the session's and closes with
// it. Loop thread only.

#include "content/block_read.h"
#include "content/hash_cache.h"
#include "event/admission.h"
#include "event/connection_session.h"
#include "event/timer.h"
#include "protocol/control_messages.h"
#include "protocol/transfer_messages.h"
#include "util/result.h"

#include <cstdint>
#include <optional>
#include <string>

namespace napster {

class UploadServer;

class UploadSession final : public ConnectionSession {
public:
    UploadSession(UploadServer& server, Connection* connection, ConnectionAdmission::Id admission_id);
    ~UploadSession() override;

    ConnectionAdmission::Id admission_id() const { return admission_id_; }
    // Called by the server's sweep about once a second: closes a session
    // that never sent GET (upload.handshake_timeout) or whose downloader
    // took nothing for upload.idle_timeout.
    void tick(std::uint64_t now_ms);

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_drained(Connection& connection) override;

    // Its id in the daemon's TransferRegistry once its GET is served
    // (counted in upload.max_concurrent); 0 before.
    protocol::TransferId transfer_id() const { return transfer_id_; }
    // Tells the registry where it stands (the sweep, and TRANSFERS).
    void report_progress(std::uint64_t now_ms);
    // napctl cancel: closes the connection; the downloader sees it end.
    // False when it has ended already.
    bool cancel(const std::string& reason);

private:
    void handle_get_hashes(const protocol::Frame& frame);
    void handle_get(const protocol::Frame& frame);
    void opened(const content::FileKey& key);
    void read_next();
    void read_done(Result<Bytes> chunk, bool block_mismatch);
    void send_get_ok();
    void prefetch();
    void allow_more();
    std::uint64_t granted(std::uint64_t want);
    void wait_for_tokens(std::uint64_t want);
    std::uint64_t bytes_sent() const;
    void on_closing(const Connection& connection) override;
    void refuse(const Error& error);
    void on_disconnected(const std::string& reason) override;

    UploadServer& server_;
    ConnectionAdmission::Id admission_id_;
    std::uint64_t connected_ms_;
    std::uint64_t progress_ = 0; // bytes the downloader has taken, at the last tick
    std::uint64_t progress_ms_ = 0;
    bool began_ = false;         // counted in upload.max_concurrent
    bool hello_done_ = false;
    bool get_done_ = false;
    protocol::Get request_;
    content::SharedContent content_; // the hashes of what is served, if known
    content::FileKey hashed_key_;    // the stat those hashes belong to
    content::FileKey opened_key_;    // the stat at open, to stay the same
    int file_ = -1;
    bool reading_ = false; // a read is on the thread pool
    // With hashes: the block that read is of, and what of it to send.
    std::optional<content::BlockRead> block_read_;
    bool get_ok_sent_ = false;
    std::uint64_t size_ = 0;
    std::uint64_t offset_ = 0;
    std::uint64_t sent_ = 0;
    std::uint64_t to_send_ = 0;
    bool complete_ = false;
    // All its blocks confirmed (SharedFile::all_confirmed): sent by
    // sendfile, over windows the thread pool has asked the kernel to read.
    bool zero_copy_ = false;
    bool prefetching_ = false;
    std::uint64_t prefetched_ = 0; // file offset asked for and checked up to
    std::uint64_t allowed_ = 0;    // file offset sendfile may go up to
    std::string outcome_;
    std::string who_;
    protocol::TransferId transfer_id_ = 0;
    bool cancelled_ = false;
    Timer limit_timer_; // waits for upload.rate_limit to allow more
};

} // namespace napster
