// SPDX-License-Identifier: MIT
#pragma once

// What napindexd's sessions ask of the catalog, in the catalog's own terms:
// peers join and leave, replace and remove files, search. No wire structs:
// the session decodes requests and encodes replies, so a catalog kept
// elsewhere (a database, other index nodes) is one more implementation,
// not a rewrite of the sessions. Catalog (catalog.h) keeps everything in
// memory and is the first.

#include "content/sha256.h"
#include "util/result.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace napster {

struct PeerInfo {
    std::uint32_t id = 0;
    std::string name;
    std::string address; // IP literal the peer connected from
    std::uint16_t upload_port = 0;

    friend bool operator==(const PeerInfo&, const PeerInfo&) = default;
};

// One file a peer shares, as the catalog keeps it. file_id is the peer's
// own key for it: a file is (peer id, file id), so a peer can replace or
// remove one without sending the rest again.
struct CatalogFile {
    std::uint64_t file_id = 0;
    std::string name; // the last path component, as the peer's file system has it
    std::uint64_t size = 0;
    std::optional<content::Digest> root; // none until the peer has hashed it

    friend bool operator==(const CatalogFile&, const CatalogFile&) = default;
};

// Counts distinct file ids of one batch: an id sent twice in the same batch
// counts once, as added if the peer did not hold it before the batch.
struct AddOutcome {
    std::size_t added = 0;    // new file ids
    std::size_t replaced = 0;  // ids the peer had already sent, changed
    std::size_t hashed = 0;    // ids the peer had sent without a root, now with one and no other change
    std::size_t unchanged = 0; // ids sent again exactly as before

    friend bool operator==(const AddOutcome&, const AddOutcome&) = default;
};

// What a search matches is names, and it answers contents (CatalogHit):
// one hit however many of a content's names match. Not exact: every word
// of `text` (split at ASCII white space) occurs in the name, ignoring ASCII
// case; white space alone matches nothing. Exact: the name equals `text`
// byte for byte. By content (root set, text empty: SEARCH never sends
// both, and text is then not looked at): the content with that root.
// napster-protocol(7), SEARCH.
struct CatalogQuery {
    std::string text;
    std::optional<content::Digest> root;
    bool exact = false;
    // At most this many hits, the first in hit order (CatalogAnswer); 0:
    // only the catalog's own limit applies.
    std::size_t max_hits = 0;
};

// A holder refers to its peer's info in the answer (CatalogAnswer::peers)
// and names the file only when its name is not the hit's: a hit listing 32
// holders copies no peer name, address or file name 32 times.
struct CatalogHolder {
    std::uint32_t peer_id = 0;
    std::uint32_t peer = 0; // its PeerInfo: CatalogAnswer::peers[peer]
    std::uint64_t file_id = 0;
    // The holder's name for the file when it is not the hit's; empty when
    // it is (no file name is empty). CatalogHit::name_of gives it either way.
    std::string name;

    friend bool operator==(const CatalogHolder&, const CatalogHolder&) = default;
};

// Every file of one content, whoever holds it and whatever they name it.
// A content is either a root and a size (the size a root has, unless a
// peer misreports it: then its files are a content of their own), or, for
// files not hashed yet, a name and a size; a hashed file and an unhashed
// one are never one content, even with the same name and size.
struct CatalogHit {
    // The first name by bytes among the content's names that matched (a
    // search by root: among all its names). Without a root, its only name.
    std::string name;
    std::uint64_t size = 0;
    std::optional<content::Digest> root;
    std::size_t holder_total = 0; // every holder, also those not listed
    // The first by (peer id, file id), no more than a SEARCH_RESULT lists
    // (napster-protocol(7): 32); the reply cuts any beyond.
    std::vector<CatalogHolder> holders;

    // The holder's name for the file.
    std::string_view name_of(const CatalogHolder& holder) const {
        return holder.name.empty() ? std::string_view(name) : std::string_view(holder.name);
    }

    friend bool operator==(const CatalogHit&, const CatalogHit&) = default;
};

// A peer's info as it was when the answer was made. Shared, never changed:
// the catalog gives a peer that registers again a new one, so an answer
// used on a later turn (CatalogService) still holds what it listed, for no
// more than a reference count per peer.
using SharedPeerInfo = std::shared_ptr<const PeerInfo>;

struct CatalogAnswer {
    // Sorted by name (bytewise), size, then root (none first, then by
    // bytes): a total order, as no two hits have all three equal.
    std::vector<CatalogHit> hits;
    std::size_t total_matches = 0; // every hit (content) found, also those past the limits
    // The catalog stopped counting matches (a very common word): at least
    // total_matches contents match.
    bool total_is_lower_bound = false;
    // Every peer a listed holder is at, once, in the order first listed.
    std::vector<SharedPeerInfo> peers = {};

    const PeerInfo& peer_of(const CatalogHolder& holder) const { return *peers[holder.peer]; }

    // Peers compare by their info, not by where it is kept.
    friend bool operator==(const CatalogAnswer& a, const CatalogAnswer& b) {
        return a.hits == b.hits && a.total_matches == b.total_matches &&
               a.total_is_lower_bound == b.total_is_lower_bound &&
               std::equal(
                   a.peers.begin(), a.peers.end(), b.peers.begin(), b.peers.end(),
                   [](const SharedPeerInfo& x, const SharedPeerInfo& y) { return *x == *y; });
    }
};

// Order: the calls one caller makes are applied in the order it made them,
// so a peer's updates stay in order and a search sees every update its
// caller asked for before it. Answers: each callback runs exactly once, on
// the loop thread, either before the call returns or on a later loop turn,
// and answers to different calls may come in any order; a caller must be
// ready for all of that (and so hold whatever the callback uses, a session
// its Session::Hold). An implementation that answers later keeps the loop
// alive until it has answered, so stopping the index and running the loop
// dry delivers every answer still owed.
//
// Ownership: whoever owns the catalog (IndexServer) destroys it only after
// the loop has run dry; until then it owns the callbacks it was given.
// Loop thread only.
class CatalogService {
public:
    using CountCallback = std::function<void(std::size_t)>;
    using AddCallback = std::function<void(Result<AddOutcome>)>;
    using SearchCallback = std::function<void(CatalogAnswer)>;

    virtual ~CatalogService() = default;

    // Before any of its files. A known id gets the new info and keeps its
    // files.
    virtual void add_peer(PeerInfo peer) = 0;
    // Drops the peer and every file it holds; answers how many files went
    // (0 for a peer it does not know).
    virtual void remove_peer(std::uint32_t peer_id, CountCallback on_removed) = 0;
    // Adds files, or replaces those whose id the peer already holds; within
    // one batch the last entry for an id wins. A refused batch changes
    // nothing and answers an Error: limit_exceeded (the peer would hold
    // more files than allowed), invalid_argument (a name SEARCH_RESULT may
    // not carry) or not_found (the peer is not known).
    virtual void add_files(std::uint32_t peer_id, std::vector<CatalogFile> files,
                           AddCallback on_added) = 0;
    // Ids the peer does not hold are ignored; answers how many went.
    virtual void remove_files(std::uint32_t peer_id, std::vector<std::uint64_t> file_ids,
                              CountCallback on_removed) = 0;
    virtual void search(CatalogQuery query, SearchCallback on_answer) = 0;

    // For the summary line: may lag behind calls not yet answered.
    virtual std::size_t peer_count() const = 0;
    virtual std::size_t file_count() const = 0;
};

} // namespace napster
