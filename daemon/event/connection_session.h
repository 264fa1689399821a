// SPDX-License-Identifier: MIT
#pragma once

// A session whose own work is one connection (an index peer, an upload, a
// control request): it is finished when the connection has closed, and
// freed by its registry once whatever it started has called back.
//
// Ownership: the session is the Connection's handler; the Connection frees
// itself after on_closed, the registry frees the session (see session.h).
// Loop thread only.

#include "event/connection.h"
#include "event/session.h"

#include <string>

namespace napster {

class ConnectionSession : public Session, public Connection::Handler {
public:
    // Closes the connection; on_disconnected follows from uv_close's
    // callback. Safe to call at any time, again or after it has closed.
    void close(const std::string& reason) {
        if (connection_) connection_->close(reason);
    }

protected:
    explicit ConnectionSession(Connection* connection) : connection_(connection) {
        connection_->set_handler(this);
    }

    // Null once the connection has closed: a late callback checks it.
    Connection* connection() const { return connection_; }

    // The connection has closed; the last word on it. The session may
    // still start work here that holds it (a catalog update, a log line
    // after a thread-pool job).
    virtual void on_disconnected(const std::string& reason) = 0;

    // Just before on_disconnected, with the connection still there: a last
    // look at what it counted.
    virtual void on_closing(const Connection&) {}

private:
    void on_closed(Connection& connection, const std::string& reason) final {
        on_closing(connection);
        connection_ = nullptr;
        on_disconnected(reason);
        finish(); // may free this session: nothing after it
    }

    Connection* connection_;
};

} // namespace napster
