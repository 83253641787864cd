/* spanfilter.h - which spans spool-tail shows: by session, trace id
 * prefix, kind, error status, end time and the user's vote on the turn;
 * every condition set must hold.
 * The same filter serves every view. */
#ifndef RC_SPANFILTER_H
#define RC_SPANFILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "feedidx.h"
#include "spanscan.h"

/* Zeroed, it lets every span through. The strings are the caller's. */
struct spanfilter {
	const char	*session;	/* session.id, exactly */
	const char	*trace;		/* a prefix of the trace id, any case */
	const char	*kind;		/* OpenInference/OTel kind, any case */
	int		 errors;	/* only spans with status ERROR */
	uint64_t	 since_ns;	/* only spans that ended since */
	/* With feedback 1 (👍) or -1 (👎): only turns whose latest vote in
	 * votes is that one: the voted chat_turn span and its children. */
	int		 feedback;
	const struct feedidx *votes;
};

/* true when s passes every condition f sets. Cannot fail. */
bool spanfilter_match(const struct spanfilter *f,
    const struct spanscan_span *s);

#endif
