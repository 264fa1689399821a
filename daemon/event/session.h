// SPDX-License-Identifier: MIT
#pragma once

// One lifetime rule for every session of both daemons (an index peer, an
// upload, a control request, a download): a session lives until its own
// work is over (finish()) and nothing it started is still in flight, then
// its registry frees it, exactly once. What is in flight holds it: a
// thread-pool job, a catalog answer, a request to another part of the
// daemon each keep a Hold until their callback has run. (Knot Resolver
// counts a session's handles the same way, daemon/session2.h.)
//
// Ownership: a SessionRegistry owns its sessions; a Hold only delays the
// free. Loop thread only, Holds included: capture them in the callback that
// runs on the loop, never in work that runs on the thread pool.

#include <cassert>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

namespace napster {

class Session;

// What frees a session once it is done: its registry.
class SessionOwner {
public:
    virtual void free_session(Session* session) = 0;

protected:
    ~SessionOwner() = default;
};

class Session {
public:
    // Keeps a session from being freed while it exists. Move-only.
    class Hold {
    public:
        Hold() = default;
        explicit Hold(Session* session) : session_(session) {
            if (session_) ++session_->holds_;
        }
        Hold(Hold&& other) noexcept : session_(std::exchange(other.session_, nullptr)) {}
        Hold& operator=(Hold&& other) noexcept {
            if (this != &other) {
                release();
                session_ = std::exchange(other.session_, nullptr);
            }
            return *this;
        }
        // A copy holds again: std::function needs copyable captures.
        Hold(const Hold& other) : Hold(other.session_) {}
        Hold& operator=(const Hold& other) {
            if (this != &other) *this = Hold(other.session_);
            return *this;
        }
        ~Hold() { release(); }

    private:
        void release() {
            if (Session* s = std::exchange(session_, nullptr)) s->release_hold();
        }
        Session* session_ = nullptr;
    };

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    Hold hold() { return Hold(this); }
    // finish() has been called: the session only waits for its holds.
    bool finished() const { return finished_; }
    std::size_t holds() const { return holds_; }

protected:
    Session() = default;
    virtual ~Session() = default;

    // The session's own work is over. Frees it now if nothing holds it, so
    // it must be the last thing a member function does. Safe to call twice.
    void finish() {
        if (finished_) return;
        finished_ = true;
        maybe_free();
    }

private:
    template <typename> friend class SessionRegistry;

    void release_hold() {
        assert(holds_ > 0);
        --holds_;
        maybe_free();
    }
    void maybe_free() {
        if (finished_ && holds_ == 0 && owner_) owner_->free_session(this);
    }

    SessionOwner* owner_ = nullptr;
    std::size_t holds_ = 0;
    bool finished_ = false;
};

// Owns sessions of one type; frees each when it is finished and unheld.
template <typename S> class SessionRegistry final : private SessionOwner {
public:
    SessionRegistry() = default;
    SessionRegistry(const SessionRegistry&) = delete;
    SessionRegistry& operator=(const SessionRegistry&) = delete;
    // The loop has run dry by now, so nothing can hold a session still
    // here; they go with the registry.
    ~SessionRegistry() = default;

    // Builds a session and registers it before it can finish, so even one
    // that finishes in its start() is freed by this registry.
    template <typename... Args> S& add(Args&&... args) {
        auto session = std::make_unique<S>(std::forward<Args>(args)...);
        S* key = session.get();
        key->owner_ = this;
        sessions_.emplace(key, std::move(session));
        return *key;
    }

    std::size_t size() const { return sessions_.size(); }
    bool empty() const { return sessions_.empty(); }

    // Calls f on every session, a snapshot taken first: f may finish
    // sessions, which frees them, without invalidating the walk.
    template <typename F> void for_each(F&& f) {
        std::vector<S*> snapshot;
        snapshot.reserve(sessions_.size());
        for (auto& [key, session] : sessions_) snapshot.push_back(key);
        for (S* s : snapshot)
            if (sessions_.count(s)) {
                auto keep = s->hold(); // freed after f returns, not inside it
                f(*s);
            }
    }

    // Reads every session, in no order; f must not finish any.
    template <typename F> void visit(F&& f) const {
        for (const auto& [key, session] : sessions_) f(static_cast<const S&>(*session));
    }

private:
    void free_session(Session* session) override { sessions_.erase(static_cast<S*>(session)); }

    std::unordered_map<S*, std::unique_ptr<S>> sessions_;
};

} // namespace napster
