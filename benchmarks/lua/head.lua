-- wrk: send HEAD instead of GET (headers such as Accept still come from -H).
wrk.method = "HEAD"
