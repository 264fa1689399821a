// SPDX-License-Identifier: MIT
#include "index/loop_catalog.h"

#include "event/handle_close.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <utility>

namespace napster {
namespace {

// Work units between two looks at the clock: well under slice_ns.
constexpr std::size_t units_per_check = 4096;

} // namespace

LoopCatalog::LoopCatalog(uv_loop_t* loop, CatalogLimits limits)
    : catalog_(limits), idle_(new uv_idle_t) {
    uv_idle_init(loop, idle_);
    idle_->data = this;
}

LoopCatalog::~LoopCatalog() {
    // The idle handle keeps the loop alive while removals are owed, and the
    // owner destroys this only once the loop ran dry.
    assert(removals_.empty());
    close_handle(idle_, [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
}

void LoopCatalog::add_peer(PeerInfo peer) { catalog_.add_peer(std::move(peer)); }

void LoopCatalog::remove_peer(std::uint32_t peer_id, CountCallback on_removed) {
    if (!catalog_.has_peer(peer_id)) {
        on_removed(0);
        return;
    }
    std::size_t files = catalog_.begin_remove_peer(peer_id);
    removals_.push_back(Removal{peer_id, files, std::move(on_removed)});
    schedule();
}

void LoopCatalog::add_files(std::uint32_t peer_id, std::vector<CatalogFile> files,
                            AddCallback on_added) {
    auto outcome = catalog_.add_files(peer_id, files);
    schedule();
    on_added(std::move(outcome));
}

void LoopCatalog::remove_files(std::uint32_t peer_id, std::vector<std::uint64_t> file_ids,
                               CountCallback on_removed) {
    std::size_t removed = catalog_.remove_files(peer_id, file_ids);
    schedule();
    on_removed(removed);
}

void LoopCatalog::search(CatalogQuery query, SearchCallback on_answer) {
    on_answer(catalog_.search(query));
}

void LoopCatalog::schedule() {
    if (running_ || !catalog_.has_work()) return;
    running_ = true;
    uv_idle_start(idle_, on_idle);
}

void LoopCatalog::on_idle(uv_idle_t* idle) { static_cast<LoopCatalog*>(idle->data)->run_slice(); }

void LoopCatalog::run_slice() {
    std::uint64_t until = uv_hrtime() + slice_ns;
    bool more = true;
    while (more && uv_hrtime() < until) more = catalog_.work(units_per_check);
    if (!more) {
        running_ = false;
        uv_idle_stop(idle_);
    }
    // Answered after the slice, so a callback that calls back in (a
    // session releasing its peer id) finds the catalog between slices.
    std::vector<Removal> done;
    auto finished = [this](const Removal& r) { return !catalog_.removing_peer(r.peer_id); };
    auto split = std::stable_partition(removals_.begin(), removals_.end(),
                                       [&](const Removal& r) { return !finished(r); });
    std::move(split, removals_.end(), std::back_inserter(done));
    removals_.erase(split, removals_.end());
    for (auto& r : done) r.on_removed(r.files);
}

} // namespace napster
