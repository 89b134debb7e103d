//! Page-number pagination: `?page=1&page_size=100` in, `{items, pagination}` out.
//!
//! Pages are 1-based. A page past the end is not an error: it has no items.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::validate::quoted;

/// The page size when the request names none.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page size a request may ask for.
pub const MAX_PAGE_SIZE: u32 = 500;

/// Which page a request asks for.
///
/// Build it with [`PageRequest::parse`] or [`PageRequest::new`], which check the ranges. The
/// methods never panic, even on a literal with `page` or `page_size` 0 (read as 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// The 1-based page number.
    pub page: u32,
    /// Items per page, 1 to [`MAX_PAGE_SIZE`].
    pub page_size: u32,
}

/// The `pagination` object of a paginated response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    /// The 1-based page number that was asked for.
    pub page: u32,
    /// Items per page.
    pub page_size: u32,
    /// Items in the whole list.
    pub total: u64,
    /// `ceil(total / page_size)`; 0 for an empty list.
    pub total_pages: u64,
    /// `true` when a later page has items.
    pub has_next_page: bool,
    /// `true` when `page` is above 1.
    pub has_prev_page: bool,
}

/// One page of a list: `{"items": [...], "pagination": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page, at most `page_size`.
    pub items: Vec<T>,
    /// Where this page lies in the whole list.
    pub pagination: Pagination,
}

// === impl PageRequest ===

impl PageRequest {
    /// Checks the ranges: `page >= 1`, `1 <= page_size <= MAX_PAGE_SIZE`.
    ///
    /// # Errors
    ///
    /// A 400 `invalid_input` whose `metadata.field` is `"page"` or `"page_size"`.
    pub fn new(page: u32, page_size: u32) -> Result<Self, ApiError> {
        if page < 1 {
            return Err(bad_page(&page.to_string()));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(bad_page_size(&page_size.to_string()));
        }
        Ok(Self { page, page_size })
    }

    /// From the raw query values (`None` = absent, giving page 1 and [`DEFAULT_PAGE_SIZE`]).
    /// A value must be a plain decimal number (no sign, no spaces) in range.
    ///
    /// # Errors
    ///
    /// A 400 `invalid_input` whose `metadata.field` is `"page"` or `"page_size"`.
    pub fn parse(page: Option<&str>, page_size: Option<&str>) -> Result<Self, ApiError> {
        let page = match page {
            None => 1,
            Some(raw) => decimal(raw).ok_or_else(|| bad_page(raw))?,
        };
        let page_size = match page_size {
            None => DEFAULT_PAGE_SIZE,
            Some(raw) => decimal(raw).ok_or_else(|| bad_page_size(raw))?,
        };
        Self::new(page, page_size)
    }

    /// How many items come before this page.
    pub fn offset(&self) -> usize {
        let Self { page, page_size } = self.normalised();
        let offset = u64::from(page - 1) * u64::from(page_size);
        usize::try_from(offset).unwrap_or(usize::MAX)
    }

    /// Cuts this page out of the whole list. A page past the end has no items.
    pub fn slice<T>(&self, items: Vec<T>) -> Page<T> {
        let total = u64::try_from(items.len()).unwrap_or(u64::MAX);
        let size = usize::try_from(self.normalised().page_size).unwrap_or(usize::MAX);
        let items = items.into_iter().skip(self.offset()).take(size).collect();
        Page {
            items,
            pagination: self.pagination(total),
        }
    }

    /// The `pagination` object for this page of a list of `total` items.
    pub fn pagination(&self, total: u64) -> Pagination {
        let Self { page, page_size } = self.normalised();
        let total_pages = total.div_ceil(u64::from(page_size));
        Pagination {
            page,
            page_size,
            total,
            total_pages,
            has_next_page: u64::from(page) < total_pages,
            has_prev_page: page > 1,
        }
    }

    /// The request with 0 read as 1, so no method can underflow or divide by zero.
    fn normalised(self) -> Self {
        Self {
            page: self.page.max(1),
            page_size: self.page_size.max(1),
        }
    }
}

/// Page 1, [`DEFAULT_PAGE_SIZE`] items.
impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// A plain decimal number: ASCII digits only, fitting in `u32`.
fn decimal(raw: &str) -> Option<u32> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

fn bad_page(raw: &str) -> ApiError {
    ApiError::invalid_field(
        "page",
        format!(
            "page must be a whole number of at least 1, got {}",
            quoted(raw)
        ),
    )
}

fn bad_page_size(raw: &str) -> ApiError {
    ApiError::invalid_field(
        "page_size",
        format!(
            "page_size must be a whole number from 1 to {MAX_PAGE_SIZE}, got {}",
            quoted(raw)
        ),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::error::ErrorCode;

    fn field(err: &ApiError) -> &str {
        err.metadata
            .get("field")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    }

    #[test]
    fn absent_values_give_the_defaults() {
        let req = PageRequest::parse(None, None).unwrap();
        assert_eq!(
            req,
            PageRequest {
                page: 1,
                page_size: 100
            }
        );
        assert_eq!(req, PageRequest::default());
        assert_eq!(req.offset(), 0);
    }

    #[test]
    fn valid_values_are_taken() {
        assert_eq!(
            PageRequest::parse(Some("3"), Some("20")).unwrap(),
            PageRequest {
                page: 3,
                page_size: 20
            }
        );
        assert_eq!(
            PageRequest::parse(Some("1"), Some("500"))
                .unwrap()
                .page_size,
            500
        );
        assert_eq!(
            PageRequest::parse(Some("1"), Some("1")).unwrap().page_size,
            1
        );
        assert_eq!(PageRequest::parse(Some("007"), None).unwrap().page, 7);
        assert_eq!(
            PageRequest::parse(Some("4294967295"), None).unwrap().page,
            u32::MAX
        );
    }

    #[test]
    fn bad_page_is_400_naming_page() {
        for raw in [
            "0",
            "-1",
            "+1",
            "abc",
            "",
            " 1",
            "1 ",
            "1.5",
            "4294967296",
            "1e3",
        ] {
            let err = PageRequest::parse(Some(raw), None).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{raw:?}");
            assert_eq!(err.status(), 400);
            assert_eq!(field(&err), "page", "{raw:?}");
        }
    }

    #[test]
    fn bad_page_size_is_400_naming_page_size() {
        for raw in ["0", "501", "1000", "-5", "ten", "", "99999999999"] {
            let err = PageRequest::parse(None, Some(raw)).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{raw:?}");
            assert_eq!(field(&err), "page_size", "{raw:?}");
        }
        let err = PageRequest::parse(Some("1"), Some("501")).unwrap_err();
        assert_eq!(
            err.detail,
            "page_size must be a whole number from 1 to 500, got '501'"
        );
    }

    #[test]
    fn new_checks_ranges() {
        assert!(PageRequest::new(1, 1).is_ok());
        assert_eq!(field(&PageRequest::new(0, 10).unwrap_err()), "page");
        assert_eq!(field(&PageRequest::new(1, 0).unwrap_err()), "page_size");
        assert_eq!(
            field(&PageRequest::new(1, MAX_PAGE_SIZE + 1).unwrap_err()),
            "page_size"
        );
    }

    #[test]
    fn offset_is_items_before_the_page() {
        assert_eq!(
            PageRequest {
                page: 3,
                page_size: 20
            }
            .offset(),
            40
        );
        let last = PageRequest {
            page: u32::MAX,
            page_size: MAX_PAGE_SIZE,
        };
        let expected = u64::from(u32::MAX - 1) * u64::from(MAX_PAGE_SIZE);
        assert_eq!(
            last.offset(),
            usize::try_from(expected).unwrap_or(usize::MAX)
        );
    }

    #[test]
    fn slices_a_middle_and_a_last_page() {
        let items: Vec<u32> = (0..25).collect();
        let page = PageRequest {
            page: 2,
            page_size: 10,
        }
        .slice(items.clone());
        assert_eq!(page.items, (10..20).collect::<Vec<_>>());
        assert_eq!(
            page.pagination,
            Pagination {
                page: 2,
                page_size: 10,
                total: 25,
                total_pages: 3,
                has_next_page: true,
                has_prev_page: true
            }
        );
        let last = PageRequest {
            page: 3,
            page_size: 10,
        }
        .slice(items);
        assert_eq!(last.items, [20, 21, 22, 23, 24]);
        assert!(!last.pagination.has_next_page);
    }

    #[test]
    fn page_past_the_end_is_empty_not_an_error() {
        let page = PageRequest {
            page: 9,
            page_size: 10,
        }
        .slice(vec![1, 2, 3]);
        assert!(page.items.is_empty());
        assert_eq!(page.pagination.total, 3);
        assert_eq!(page.pagination.total_pages, 1);
        assert!(!page.pagination.has_next_page);
        assert!(page.pagination.has_prev_page);
    }

    #[test]
    fn empty_list_has_zero_pages() {
        let page = PageRequest::default().slice(Vec::<u8>::new());
        assert!(page.items.is_empty());
        assert_eq!(
            page.pagination,
            Pagination {
                page: 1,
                page_size: 100,
                total: 0,
                total_pages: 0,
                has_next_page: false,
                has_prev_page: false
            }
        );
    }

    #[test]
    fn total_pages_rounds_up() {
        let req = PageRequest {
            page: 1,
            page_size: 100,
        };
        assert_eq!(req.pagination(1).total_pages, 1);
        assert_eq!(req.pagination(100).total_pages, 1);
        assert_eq!(req.pagination(101).total_pages, 2);
        assert_eq!(req.pagination(u64::MAX).total_pages, u64::MAX.div_ceil(100));
    }

    #[test]
    fn zero_fields_in_a_literal_do_not_panic() {
        let page = PageRequest {
            page: 0,
            page_size: 0,
        }
        .slice(vec![1, 2]);
        assert_eq!(page.items, [1]);
        assert_eq!((page.pagination.page, page.pagination.page_size), (1, 1));
    }

    #[test]
    fn serialises_as_the_api_envelope() {
        let page = PageRequest {
            page: 1,
            page_size: 2,
        }
        .slice(vec!["a", "b", "c"]);
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "items": ["a", "b"],
                "pagination": {
                    "page": 1, "page_size": 2, "total": 3, "total_pages": 2,
                    "has_next_page": true, "has_prev_page": false
                }
            })
        );
        let back: Page<String> = serde_json::from_value(json).unwrap();
        assert_eq!(back.items, ["a", "b"]);
    }

    proptest! {
        #[test]
        fn slice_never_panics_and_respects_page_size(len in 0usize..2000, page: u32, page_size: u32) {
            let req = PageRequest { page, page_size };
            let page = req.slice((0..len).collect::<Vec<_>>());
            prop_assert!(page.items.len() <= page_size.max(1) as usize);
            prop_assert_eq!(page.pagination.total, len as u64);
        }

        #[test]
        fn pages_cover_the_list_exactly_once(len in 0usize..1500, page_size in 1u32..=MAX_PAGE_SIZE) {
            let items: Vec<usize> = (0..len).collect();
            let total_pages = PageRequest { page: 1, page_size }.pagination(len as u64).total_pages;
            let mut seen = Vec::new();
            for page in 1..=total_pages + 1 {
                let page = u32::try_from(page).unwrap();
                let slice = PageRequest { page, page_size }.slice(items.clone());
                prop_assert_eq!(slice.pagination.has_next_page, u64::from(page) < total_pages);
                if u64::from(page) > total_pages {
                    prop_assert!(slice.items.is_empty());
                } else {
                    prop_assert!(!slice.items.is_empty());
                }
                seen.extend(slice.items);
            }
            prop_assert_eq!(seen, items);
        }
    }
}
