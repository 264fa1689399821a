// SPDX-License-Identifier: MIT
#pragma once

// napindexd's CatalogService: the in-memory Catalog, with its long work
// done in slices on the loop. A peer that leaves with a million files, and
// the sweep of postings that names leave behind, would each hold the loop
// for a second if done in one go; here they run on an idle handle a couple
// of milliseconds a turn, between everyone else's reads and writes.
// Searches, adds and removals of single batches are answered before the
// call returns; a peer's removal is answered once its last file has gone
// (its files show in searches until then, and its id is not reused).
//
// Ownership: owns the Catalog, the idle handle (freed in uv_close's
// callback) and the callbacks of removals in progress. While work is left
// the idle handle keeps the loop running, so stopping the index and running
// the loop dry delivers every answer still owed. Loop thread only.

#include "catalog/catalog.h"

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace napster {

class LoopCatalog final : public CatalogService {
public:
    LoopCatalog(uv_loop_t* loop, CatalogLimits limits);
    ~LoopCatalog() override;
    LoopCatalog(const LoopCatalog&) = delete;
    LoopCatalog& operator=(const LoopCatalog&) = delete;

    void add_peer(PeerInfo peer) override;
    void remove_peer(std::uint32_t peer_id, CountCallback on_removed) override;
    void add_files(std::uint32_t peer_id, std::vector<CatalogFile> files,
                   AddCallback on_added) override;
    void remove_files(std::uint32_t peer_id, std::vector<std::uint64_t> file_ids,
                      CountCallback on_removed) override;
    void search(CatalogQuery query, SearchCallback on_answer) override;

    std::size_t peer_count() const override { return catalog_.peer_count(); }
    std::size_t file_count() const override { return catalog_.file_count(); }

    // How long one turn's slice may run: short enough that a loop turn
    // with a full slice still answers everyone else within a few ms.
    static constexpr std::uint64_t slice_ns = 2'000'000;

private:
    struct Removal {
        std::uint32_t peer_id;
        std::size_t files;
        CountCallback on_removed;
    };
    static void on_idle(uv_idle_t* idle);
    void schedule();
    void run_slice();

    Catalog catalog_;
    uv_idle_t* idle_;
    bool running_ = false;
    std::vector<Removal> removals_;
};

} // namespace napster
