//! Blocs and their members; membership is needed before suppliers are built.

use super::*;

pub(super) fn blocs(
    cx: &mut Ctx,
    raw: &raw::ScenarioFile,
    names: &Names,
) -> (Vec<BlocModel>, Vec<u64>) {
    let (country_names, material_names) = (&names.countries[..], &names.materials[..]);
    // Bloc membership, needed before suppliers are built.
    let mut member_of = vec![0u64; country_names.len()];
    let mut blocs: Vec<BlocModel> = Vec::new();
    for (b, (bname, bloc)) in raw.blocs.iter().enumerate() {
        let mut members = Vec::new();
        for m in &bloc.members {
            match index_of(country_names, m) {
                Some(c) => {
                    members.push(c);
                    if b < MAX_BLOCS {
                        member_of[c] |= 1 << b;
                    }
                }
                None => cx.err(
                    &["blocs", bname, "members", m],
                    unknown_name_hint(m, "country", country_names.iter().map(String::as_str)),
                ),
            }
        }
        blocs.push(BlocModel {
            name: bname.clone(),
            members,
            shares_stock_with: vec![0; material_names.len()],
        });
    }
    (blocs, member_of)
}
