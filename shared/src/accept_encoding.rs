//! Reading a request's `Accept-Encoding`: whether the client takes gzip. Shared by the agent
//! (which gzips large API answers) and by both servers of the dashboard's files (which send a
//! build's precompressed `.gz` twin).

/// Whether a client that sent these `Accept-Encoding` lines reads gzip. RFC 9110 §12.5.3: gzip
/// (or its alias `x-gzip`) is acceptable when listed with a non-zero weight, or when not listed
/// and `*` has a non-zero weight. No header means no compression: the answer as it is is
/// always acceptable.
pub fn accepts_gzip<'a>(lines: impl IntoIterator<Item = &'a str>) -> bool {
    let mut gzip = None;
    let mut any = None;
    for entry in lines.into_iter().flat_map(|line| line.split(',')) {
        let mut parts = entry.split(';');
        let name = parts.next().unwrap_or("").trim();
        // No weight means 1; a weight that is not a number counts as 0.
        let acceptable = parts
            .find_map(|p| {
                let (key, value) = p.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| value.trim().parse::<f32>().ok())
            })
            .is_none_or(|q| q.is_some_and(|q| q > 0.0));
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(acceptable);
        } else if name == "*" {
            any = Some(acceptable);
        }
    }
    gzip.or(any).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_accepted_only_when_the_client_says_so() {
        for yes in [
            "gzip",
            "gzip, deflate, br, zstd",
            "br;q=1.0, gzip;q=0.8, *;q=0.1",
            "*",
            "GZIP",
            "x-gzip",
            "gzip; q=0.001",
        ] {
            assert!(accepts_gzip([yes]), "{yes}");
        }
        for no in [
            "",
            "identity",
            "br, zstd",
            "gzip;q=0",
            "gzip;q=0.000",
            "*, gzip;q=0",
            "*;q=0",
            "gzip;q=nonsense",
        ] {
            assert!(!accepts_gzip([no]), "{no}");
        }
        assert!(!accepts_gzip([]));
    }

    #[test]
    fn several_lines_are_read_as_one_list() {
        assert!(accepts_gzip(["br", "gzip"]));
        assert!(!accepts_gzip(["gzip", "gzip;q=0"]), "the last word counts");
    }
}
