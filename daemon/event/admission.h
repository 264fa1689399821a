// SPDX-License-Identifier: MIT
#pragma once

// Which connections a listener keeps when it is crowded. Connections that
// have not yet finished their handshake ("pending": no REGISTER on the
// index, no GET on the upload port, no request on the control socket) are
// cheap to make and cost us a descriptor and a buffer each, so they have a
// cap of their own, and every address has a cap on all its connections.
// At a cap, room is made by dropping the oldest pending connection (of that
// address, for the per-address cap): a flood of idle sockets ages out in
// front of a newcomer instead of locking it out. Only an address whose
// connections are all established is refused outright.
//
// Pure: no I/O, no clock; the listener closes what it is told to. Loop
// thread only.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace napster {

struct AdmissionLimits {
    std::size_t max_pending = 0;     // 0: no cap
    std::size_t max_per_address = 0; // 0: no cap
    friend bool operator==(const AdmissionLimits&, const AdmissionLimits&) = default;
};

class ConnectionAdmission {
public:
    using Id = std::uint64_t;

    struct Decision {
        std::optional<Id> admitted;  // the new connection's id, unless refused
        std::vector<Id> evicted;     // pending connections to close now, oldest first
        std::string refusal;         // why it was refused
    };

    // The key names go into refusals, so an operator knows what to raise
    // ("limits.max_per_address").
    ConnectionAdmission(AdmissionLimits limits, std::string max_pending_key, std::string max_per_address_key);

    // A connection from `address` (an IP literal, or "uid N" on a Unix
    // socket) arrives, pending.
    Decision arrive(const std::string& address);
    // It finished its handshake: no longer pending, never evicted.
    void establish(Id id);
    // It has gone (closed, evicted or timed out). Unknown ids are ignored.
    void leave(Id id);

    void set_limits(AdmissionLimits limits) { limits_ = limits; }
    const AdmissionLimits& limits() const { return limits_; }
    std::size_t pending() const { return pending_.size(); }
    std::size_t connections() const { return live_.size(); }
    std::size_t from(const std::string& address) const;
    // Connections evicted or refused so far, for a log line now and then
    // rather than one per connection of a flood.
    std::uint64_t turned_away() const { return turned_away_; }
    // How many were turned away since the last report, when there are some
    // and the last report is at least `interval_ms` old (`now_ms` is the
    // caller's clock): one log line every 10 s during a flood, not one per
    // connection.
    std::optional<std::uint64_t> due_report(std::uint64_t now_ms, std::uint64_t interval_ms = 10'000);

private:
    struct Entry {
        std::string address;
        bool pending = true;
    };

    AdmissionLimits limits_;
    std::string max_pending_key_;
    std::string max_per_address_key_;
    Id next_id_ = 1;
    std::uint64_t turned_away_ = 0;
    std::uint64_t reported_ = 0;
    std::optional<std::uint64_t> reported_at_ms_;
    std::unordered_map<Id, Entry> live_;
    std::set<Id> pending_; // ids grow with time: the first is the oldest
    std::map<std::string, std::set<Id>> pending_by_address_;
    std::unordered_map<std::string, std::size_t> count_by_address_;
};

// Closes the sessions a decision evicted. Sessions have admission_id()
// and close(reason); the registry has for_each (event/session.h).
template <typename Registry>
void close_evicted(Registry& sessions, const std::vector<ConnectionAdmission::Id>& evicted, const std::string& reason) {
    if (evicted.empty()) return;
    sessions.for_each([&](auto& session) {
        for (ConnectionAdmission::Id id : evicted)
            if (session.admission_id() == id) session.close(reason);
    });
}

} // namespace napster
