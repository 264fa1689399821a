// SPDX-License-Identifier: MIT
#pragma once

// What a reload changes: the keys whose values differ between the running
// config and a freshly parsed one, each marked as applied at once or as
// needing a restart, and the share dirs added and removed. Pure: no I/O.
//
// "Running" is the config as last parsed and applied, not as the daemon
// may have adjusted it since (napeerd clears an unusable state_dir): a key
// that needs a restart stays named at every reload until the restart.

#include "config/index_config.h"
#include "config/peer_config.h"

#include <string>
#include <vector>

namespace napster {

struct KeyChange {
    std::string key;    // "upload.max_concurrent", as in the config file
    std::string before; // the running value, as --check-config writes it
    std::string after;  // the new one
    bool live = false;  // a reload applies it; otherwise it needs a restart

    friend bool operator==(const KeyChange&, const KeyChange&) = default;
};

struct ConfigDiff {
    std::vector<KeyChange> changes; // in the order of the config file
    // share.dirs (napeerd): in the new config's order, and the old one's.
    std::vector<std::string> dirs_added;
    std::vector<std::string> dirs_removed;

    bool empty() const { return changes.empty(); }
    // The keys that need a restart, in order.
    std::vector<std::string> restart_keys() const;
};

ConfigDiff diff_peer_config(const PeerConfig& running, const PeerConfig& fresh);
// Copies the keys a reload applies from `fresh` into `running`; the others
// (and `source`) stay as they are.
void apply_live_keys(PeerConfig& running, const PeerConfig& fresh);

ConfigDiff diff_index_config(const IndexConfig& running, const IndexConfig& fresh);
void apply_live_keys(IndexConfig& running, const IndexConfig& fresh);


} // namespace napster
