/* spanfilter.h - which spans spool-tail shows: by session, trace id
 * prefix, kind, error status, end time and the user's vote on the turn;
 * every condition set must hold.
 * The same filter serves every view. */
#ifndef RC_SPANFILTER_H
#define RC_SPANFILTER_H

#include <stdbool.h>
#include <stddef.h>
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
/* true when f asks for votes (--feedback) and r is one it selects: the
 * same vote, in f's session and trace if set. A vote that comes while
 * following is shown for it even when its turn was printed unvoted.
 * Cannot fail. */
bool spanfilter_vote_wanted(const struct spanfilter *f,
    const struct feedrec *r);
/* Set the condition of the command-line option --name from value, as
 * spool-tail and spool-dataset take them: session, trace, kind (value
 * kept, not copied), errors (value ignored), since (a duration back from
 * now_ns or a time, timearg.h) and feedback (up or down). Returns 0, or
 * -1 with why in err ("'x' is neither up nor down", without the option's
 * name) for a bad value or a name that is none of these. Allocates
 * nothing. */
int spanfilter_option(struct spanfilter *f, const char *name,
    const char *value, uint64_t now_ns, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
