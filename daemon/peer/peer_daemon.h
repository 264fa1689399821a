// SPDX-License-Identifier: MIT
#pragma once

// napeerd as one object: its config, its share list and the parts that
// serve it (index link, upload server, downloads, control socket). Every
// part gets this context by reference; there are no globals.
//
// Ownership: owns every part. Must outlive the loop run: create it, run the
// loop until stop() has let every handle close, then destroy it. Loop
// thread only.

#include "catalog/share_catalog.h"
#include "config/config_diff.h"
#include "config/peer_config.h"
#include "util/token_bucket.h"
#include "event/listener.h"
#include "fs/share_scan.h"
#include "peer/content_hasher.h"
#include "peer/control_server.h"
#include "peer/download.h"
#include "peer/index_client.h"
#include "peer/share_watcher.h"
#include "peer/transfer_registry.h"
#include "peer/upload_server.h"
#include "util/log.h"

#include <uv.h>

#include <functional>
#include <memory>

namespace napster {

class PeerDaemon {
public:
    PeerDaemon(uv_loop_t* loop, const PeerConfig& config, Logger& log);
    ~PeerDaemon();

    // Binds the upload port and the control socket, then walks the shares
    // on the thread pool (placing inotify watches as it goes) and connects
    // to the index when the walk is done.
    Status start();
    void stop();

    uv_loop_t* loop() { return loop_; }
    const PeerConfig& config() const { return config_; }
    Logger& log() { return log_; }
    ShareCatalog& shares() { return shares_; }
    IndexClient& index() { return index_; }
    UploadServer& uploads() { return uploads_; }
    DownloadManager& downloads() { return downloads_; }
    ShareWatcher& watcher() { return watcher_; }
    ContentHasher& hasher() { return hasher_; }
    TransferRegistry& transfers() { return transfers_; }
    // TRANSFERS: every running transfer reports first, so rates are current.
    protocol::TransfersResult list_transfers();
    // CANCEL: stops a running download or upload.
    Result<protocol::CancelDone> cancel_transfer(protocol::TransferId id);
    bool stopping() const { return stopping_; }
    // upload.rate_limit and download.rate_limit, shared by every transfer.
    TokenBucket& upload_limit() { return upload_limit_; }
    TokenBucket& download_limit() { return download_limit_; }
    // Reload (SIGHUP, napctl reload): applies the keys of `fresh` that can
    // change while napeerd runs (config_diff.cpp lists them) and logs each
    // changed key, applied or needing a restart. Refused, with nothing
    // changed, while stopping or when a share dir added is not a
    // directory. Rate limits apply to transfers already running too.
    Result<ConfigDiff> reload(const PeerConfig& fresh);
    // Reads the config file again with `loader` (set by main) and reloads.
    using ConfigLoader = std::function<Result<PeerConfig>()>;
    void set_config_loader(ConfigLoader loader) { loader_ = std::move(loader); }
    Result<ConfigDiff> reload_from_file();

    // A finished download inside one of the share roots joins the share
    // list and the index hears of that one file; with its hashes when the
    // download verified them (they need no second reading).
    void share_new_file(const std::string& full_path, content::SharedContent known);

    protocol::StatusResult status() const;
    // "connected as peer 4, 118 files shared"
    std::string summary() const;

private:
    static std::vector<std::string> share_roots(const PeerConfig& config);
    void scan_done(ScanResult result, content::HashCache cache, const std::string& cache_warning);
    void prepare_state_dir();
    void reload_limits(const PeerConfig& fresh);
    Status check_share_dirs(const std::vector<std::string>& dirs, const PeerConfig& config) const;

    uv_loop_t* loop_;
    PeerConfig config_;
    // The config as parsed and applied: what a reload compares with
    // (config_ may differ, e.g. an unusable state_dir is cleared).
    PeerConfig loaded_;
    ConfigLoader loader_;
    Logger& log_;
    TransferRegistry transfers_; // before the transfers, which report to it
    ShareCatalog shares_;
    ContentHasher hasher_;
    IndexClient index_;
    UploadServer uploads_;
    DownloadManager downloads_;
    ShareWatcher watcher_;
    ControlServer control_;
    TokenBucket upload_limit_;
    TokenBucket download_limit_;
    std::uint64_t started_ms_ = 0;
    bool stopping_ = false;
    bool scanning_ = false;
};

} // namespace napster
