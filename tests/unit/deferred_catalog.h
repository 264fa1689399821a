// SPDX-License-Identifier: MIT
#pragma once

// A CatalogService for tests that answers nothing at once, as a catalog
// kept elsewhere would: every call is queued, then applied to an in-memory
// Catalog and answered on a later loop turn, first in first out. pause()
// keeps every call queued until resume(), so a test can act while answers
// are owed. answer_newest_first() still applies calls in order but gives
// the answers of one turn in reverse, which CatalogService allows: a
// callback that does not hold its session meets a freed one.
//
// Ownership: owns its Catalog, an idle handle (freed in uv_close's
// callback) and the queued calls with whatever their callbacks hold
// (Session::Holds). While calls are queued and it is not paused the idle
// handle keeps the loop running. Destroy it with nothing queued. Loop
// thread only.

#include "catalog/catalog.h"
#include "event/handle_close.h"

#include <uv.h>

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

namespace napster::test {

class DeferredCatalog final : public CatalogService {
public:
    DeferredCatalog(uv_loop_t* loop, CatalogLimits limits)
        : catalog_(limits), idle_(new uv_idle_t) {
        uv_idle_init(loop, idle_);
        idle_->data = this;
    }
    ~DeferredCatalog() override {
        // A call dropped unanswered would be a test that stopped too soon.
        assert(queued_.empty());
        close_handle(idle_, [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
    }
    DeferredCatalog(const DeferredCatalog&) = delete;
    DeferredCatalog& operator=(const DeferredCatalog&) = delete;

    void add_peer(PeerInfo peer) override {
        defer([this, peer = std::move(peer)] {
            catalog_.add_peer(peer);
            return Answer{};
        });
    }
    void remove_peer(std::uint32_t peer_id, CountCallback on_removed) override {
        defer([this, peer_id, on_removed = std::move(on_removed)] {
            return answer_with(on_removed, catalog_.remove_peer(peer_id));
        });
    }
    void add_files(std::uint32_t peer_id, std::vector<CatalogFile> files,
                   AddCallback on_added) override {
        defer([this, peer_id, files = std::move(files), on_added = std::move(on_added)] {
            return answer_with(on_added, catalog_.add_files(peer_id, files));
        });
    }
    void remove_files(std::uint32_t peer_id, std::vector<std::uint64_t> file_ids,
                      CountCallback on_removed) override {
        defer([this, peer_id, file_ids = std::move(file_ids), on_removed = std::move(on_removed)] {
            return answer_with(on_removed, catalog_.remove_files(peer_id, file_ids));
        });
    }
    void search(CatalogQuery query, SearchCallback on_answer) override {
        defer([this, query = std::move(query), on_answer = std::move(on_answer)] {
            return answer_with(on_answer, catalog_.search(query));
        });
    }
    // What has been applied so far: they lag behind the queue.
    std::size_t peer_count() const override { return catalog_.peer_count(); }
    std::size_t file_count() const override { return catalog_.file_count(); }

    void pause() {
        paused_ = true;
        uv_idle_stop(idle_);
    }
    void resume() {
        paused_ = false;
        schedule();
    }
    bool paused() const { return paused_; }
    void answer_newest_first() { newest_first_ = true; }
    // Calls made and not yet applied.
    std::size_t queued() const { return queued_.size(); }
    // Calls applied (and answered) so far.
    std::size_t applied() const { return applied_; }
    const Catalog& catalog() const { return catalog_; }

private:
    // A call applies itself to the catalog and returns its answer, to be
    // given after every call due this turn has been applied.
    using Answer = std::function<void()>;
    using Call = std::function<Answer()>;

    template <typename Callback, typename Value>
    static Answer answer_with(const Callback& callback, Value value) {
        return [callback, value = std::move(value)]() mutable { callback(std::move(value)); };
    }

    void defer(Call call) {
        queued_.push_back(std::move(call));
        schedule();
    }
    void schedule() {
        if (!paused_ && !queued_.empty()) uv_idle_start(idle_, on_idle);
    }
    static void on_idle(uv_idle_t* handle) {
        auto* self = static_cast<DeferredCatalog*>(handle->data);
        uv_idle_stop(handle);
        // Only what was queued before this turn: a call made from an answer
        // waits for the next one, as it would for a remote catalog.
        std::vector<Answer> answers;
        for (std::size_t due = self->queued_.size(); due > 0; --due) {
            Call call = std::move(self->queued_.front());
            self->queued_.pop_front();
            ++self->applied_;
            if (Answer answer = call()) answers.push_back(std::move(answer));
        }
        if (self->newest_first_) std::reverse(answers.begin(), answers.end());
        // Each answer is destroyed, releasing what it holds, right after it
        // has run: a session may be freed then, and a later answer for it
        // must have held it too.
        for (auto& answer : answers) {
            Answer run = std::move(answer);
            run();
        }
        self->schedule();
    }

    Catalog catalog_;
    uv_idle_t* idle_;
    std::deque<Call> queued_;
    std::size_t applied_ = 0;
    bool paused_ = false;
    bool newest_first_ = false;
};

} // namespace napster::test
