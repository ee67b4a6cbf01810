//! Subscriptions_ListLocations: a realistic set of Azure regions in the shape of
//! GetLocations.json (2022-12-01), physical regions with their metadata and zones and two
//! logical ones. The data is not Azure's whole list, and the sandbox places nothing by it.

use serde_json::{Value, json};

use super::arm_error::ArmError;
use super::reply::Reply;
use super::resource_manager::ArmRequest;
use super::state::AzureState;

/// One physical region as `az account list-locations` shows it.
struct Region {
    name: &'static str,
    display_name: &'static str,
    /// The prefix of `regionalDisplayName`: `(US)`, `(Europe)`, `(Asia Pacific)`.
    area: &'static str,
    geography: &'static str,
    geography_group: &'static str,
    longitude: &'static str,
    latitude: &'static str,
    physical_location: &'static str,
    paired_region: &'static str,
    /// `Recommended` or `Other`.
    category: &'static str,
    /// Whether it has availability zones.
    zones: bool,
}

const fn region(
    name: &'static str,
    display_name: &'static str,
    area: &'static str,
    (geography, geography_group): (&'static str, &'static str),
    (longitude, latitude): (&'static str, &'static str),
    (physical_location, paired_region): (&'static str, &'static str),
    (category, zones): (&'static str, bool),
) -> Region {
    Region {
        name,
        display_name,
        area,
        geography,
        geography_group,
        longitude,
        latitude,
        physical_location,
        paired_region,
        category,
        zones,
    }
}

const US: (&str, &str) = ("United States", "US");
const EUROPE: (&str, &str) = ("Europe", "Europe");
const ASIA: (&str, &str) = ("Asia Pacific", "Asia Pacific");
const RECOMMENDED: (&str, bool) = ("Recommended", true);

/// eastus and eastus2 are the spec example's (GetLocations.json); westeurope and northeurope
/// as public `az account list-locations` output shows them; the rest are Azure's published
/// region names, places and pairs (learn.microsoft.com "Azure cross-region replication
/// pairings"), their coordinates and categories as the CLI printed them (unverified here).
const REGIONS: &[Region] = &[
    region(
        "eastus",
        "East US",
        "(US)",
        US,
        ("-79.8164", "37.3719"),
        ("Virginia", "westus"),
        RECOMMENDED,
    ),
    region(
        "eastus2",
        "East US 2",
        "(US)",
        US,
        ("-78.3889", "36.6681"),
        ("Virginia", "centralus"),
        RECOMMENDED,
    ),
    region(
        "westus",
        "West US",
        "(US)",
        US,
        ("-122.417", "37.783"),
        ("California", "eastus"),
        ("Other", false),
    ),
    region(
        "westus2",
        "West US 2",
        "(US)",
        US,
        ("-119.852", "47.233"),
        ("Washington", "westcentralus"),
        RECOMMENDED,
    ),
    region(
        "centralus",
        "Central US",
        "(US)",
        US,
        ("-93.6208", "41.5908"),
        ("Iowa", "eastus2"),
        RECOMMENDED,
    ),
    region(
        "northeurope",
        "North Europe",
        "(Europe)",
        EUROPE,
        ("-6.2597", "53.3478"),
        ("Ireland", "westeurope"),
        RECOMMENDED,
    ),
    region(
        "westeurope",
        "West Europe",
        "(Europe)",
        EUROPE,
        ("4.9", "52.3667"),
        ("Netherlands", "northeurope"),
        RECOMMENDED,
    ),
    region(
        "uksouth",
        "UK South",
        "(Europe)",
        ("United Kingdom", "Europe"),
        ("-0.799", "50.941"),
        ("London", "ukwest"),
        RECOMMENDED,
    ),
    region(
        "ukwest",
        "UK West",
        "(Europe)",
        ("United Kingdom", "Europe"),
        ("-3.084", "53.427"),
        ("Cardiff", "uksouth"),
        ("Other", false),
    ),
    region(
        "francecentral",
        "France Central",
        "(Europe)",
        ("France", "Europe"),
        ("2.3730", "46.3772"),
        ("Paris", "francesouth"),
        RECOMMENDED,
    ),
    region(
        "germanywestcentral",
        "Germany West Central",
        "(Europe)",
        ("Germany", "Europe"),
        ("8.682127", "50.110924"),
        ("Frankfurt", "germanynorth"),
        RECOMMENDED,
    ),
    region(
        "swedencentral",
        "Sweden Central",
        "(Europe)",
        ("Sweden", "Europe"),
        ("17.14127", "60.67488"),
        ("Gävle", "swedensouth"),
        RECOMMENDED,
    ),
    region(
        "southeastasia",
        "Southeast Asia",
        "(Asia Pacific)",
        ASIA,
        ("103.833", "1.283"),
        ("Singapore", "eastasia"),
        RECOMMENDED,
    ),
    region(
        "eastasia",
        "East Asia",
        "(Asia Pacific)",
        ASIA,
        ("114.188", "22.267"),
        ("Hong Kong", "southeastasia"),
        RECOMMENDED,
    ),
    region(
        "japaneast",
        "Japan East",
        "(Asia Pacific)",
        ("Japan", "Asia Pacific"),
        ("139.77", "35.68"),
        ("Tokyo, Saitama", "japanwest"),
        RECOMMENDED,
    ),
    region(
        "australiaeast",
        "Australia East",
        "(Asia Pacific)",
        ("Australia", "Asia Pacific"),
        ("151.2094", "-33.86"),
        ("New South Wales", "australiasoutheast"),
        RECOMMENDED,
    ),
];

/// Logical locations, which group regions: name, display name, geography group.
const LOGICAL: &[(&str, &str, &str)] = &[
    ("europe", "Europe", "Europe"),
    ("unitedstates", "United States", "US"),
];

/// The display name Azure gives a region name (`westeurope` → `West Europe`), if the sandbox
/// knows the region.
pub fn display_name(name: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|region| region.name.eq_ignore_ascii_case(name))
        .map(|region| region.display_name)
}

/// `GET /subscriptions/{id}/locations`: every region, paged as ARM pages. Zone mappings came
/// with api-version 2022-12-01.
pub fn handle(state: &AzureState, request: &ArmRequest) -> Result<Reply, ArmError> {
    if request.method != http::Method::GET {
        return Err(ArmError::method_not_allowed(request.method.as_str()));
    }
    let with_zones = request.api_version.as_str() >= "2022-12-01";
    let subscription = &state.subscription_id;
    let mut value: Vec<Value> = REGIONS
        .iter()
        .map(|region| region_json(region, subscription, with_zones))
        .collect();
    value.extend(LOGICAL.iter().map(|(name, display_name, group)| {
        json!({
            "id": format!("/subscriptions/{subscription}/locations/{name}"),
            "name": name,
            "type": "Region",
            "displayName": display_name,
            "regionalDisplayName": display_name,
            "metadata": {"regionType": "Logical", "regionCategory": "Other",
                         "geography": display_name, "geographyGroup": group},
        })
    }));
    request.page(value, state.page_size, false)
}

fn region_json(region: &Region, subscription: &str, with_zones: bool) -> Value {
    let location_id = |name: &str| format!("/subscriptions/{subscription}/locations/{name}");
    let mut location = json!({
        "id": location_id(region.name),
        "name": region.name,
        "type": "Region",
        "displayName": region.display_name,
        "regionalDisplayName": format!("{} {}", region.area, region.display_name),
        "metadata": {
            "regionType": "Physical",
            "regionCategory": region.category,
            "geography": region.geography,
            "geographyGroup": region.geography_group,
            "longitude": region.longitude,
            "latitude": region.latitude,
            "physicalLocation": region.physical_location,
            "pairedRegion": [{"name": region.paired_region, "id": location_id(region.paired_region)}],
        },
    });
    if with_zones && region.zones {
        let zones: Vec<Value> = (1..=3)
            .map(|zone| json!({"logicalZone": zone.to_string(), "physicalZone": format!("{}-az{zone}", region.name)}))
            .collect();
        location["availabilityZoneMappings"] = Value::Array(zones);
    }
    location
}
