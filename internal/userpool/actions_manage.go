package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// managementActions are the SigV4-signed administration actions: pools, app clients, the
// managed-login configuration (domains, resource servers, identity providers, branding), groups, users
// managed by an administrator, and ListUsers.
func (s *Service) managementActions() []awsjson.Action {
	signed := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.SigV4, Handle: h}
	}
	return []awsjson.Action{
		signed("CreateUserPool", awsjson.Handler(s.createUserPool)),
		signed("DescribeUserPool", awsjson.Handler(s.describeUserPool)),
		signed("ListUserPools", awsjson.Handler(s.listUserPools)),
		signed("UpdateUserPool", awsjson.Handler(s.updateUserPool)),
		signed("DeleteUserPool", awsjson.Handler(s.deleteUserPool)),

		signed("CreateUserPoolClient", awsjson.Handler(s.createUserPoolClient)),
		signed("DescribeUserPoolClient", awsjson.Handler(s.describeUserPoolClient)),
		signed("ListUserPoolClients", awsjson.Handler(s.listUserPoolClients)),
		signed("UpdateUserPoolClient", awsjson.Handler(s.updateUserPoolClient)),
		signed("DeleteUserPoolClient", awsjson.Handler(s.deleteUserPoolClient)),

		signed("CreateUserPoolDomain", awsjson.Handler(s.createUserPoolDomain)),
		signed("DescribeUserPoolDomain", awsjson.Handler(s.describeUserPoolDomain)),
		signed("UpdateUserPoolDomain", awsjson.Handler(s.updateUserPoolDomain)),
		signed("DeleteUserPoolDomain", awsjson.Handler(s.deleteUserPoolDomain)),

		signed("CreateResourceServer", awsjson.Handler(s.createResourceServer)),
		signed("DescribeResourceServer", awsjson.Handler(s.describeResourceServer)),
		signed("ListResourceServers", awsjson.Handler(s.listResourceServers)),
		signed("UpdateResourceServer", awsjson.Handler(s.updateResourceServer)),
		signed("DeleteResourceServer", awsjson.Handler(s.deleteResourceServer)),

		signed("CreateIdentityProvider", awsjson.Handler(s.createIdentityProvider)),
		signed("DescribeIdentityProvider", awsjson.Handler(s.describeIdentityProvider)),
		signed("ListIdentityProviders", awsjson.Handler(s.listIdentityProviders)),
		signed("UpdateIdentityProvider", awsjson.Handler(s.updateIdentityProvider)),
		signed("DeleteIdentityProvider", awsjson.Handler(s.deleteIdentityProvider)),
		signed("GetIdentityProviderByIdentifier", awsjson.Handler(s.getIdentityProviderByIdentifier)),
		signed("AdminLinkProviderForUser", awsjson.Handler(s.adminLinkProviderForUser)),
		signed("AdminDisableProviderForUser", awsjson.Handler(s.adminDisableProviderForUser)),

		signed("SetUICustomization", awsjson.Handler(s.setUICustomization)),
		signed("GetUICustomization", awsjson.Handler(s.getUICustomizationAction)),
		signed("CreateManagedLoginBranding", awsjson.Handler(s.createManagedLoginBranding)),
		signed("DescribeManagedLoginBranding", awsjson.Handler(s.describeManagedLoginBranding)),
		signed("DescribeManagedLoginBrandingByClient", awsjson.Handler(s.describeManagedLoginBrandingByClient)),
		signed("UpdateManagedLoginBranding", awsjson.Handler(s.updateManagedLoginBranding)),
		signed("DeleteManagedLoginBranding", awsjson.Handler(s.deleteManagedLoginBranding)),

		signed("CreateGroup", awsjson.Handler(s.createGroup)),
		signed("GetGroup", awsjson.Handler(s.getGroupAction)),
		signed("UpdateGroup", awsjson.Handler(s.updateGroup)),
		signed("ListGroups", awsjson.Handler(s.listGroups)),
		signed("DeleteGroup", awsjson.Handler(s.deleteGroup)),
		signed("AdminAddUserToGroup", awsjson.Handler(s.adminAddUserToGroup)),
		signed("AdminRemoveUserFromGroup", awsjson.Handler(s.adminRemoveUserFromGroup)),
		signed("AdminListGroupsForUser", awsjson.Handler(s.adminListGroupsForUser)),
		signed("ListUsersInGroup", awsjson.Handler(s.listUsersInGroup)),

		signed("AdminCreateUser", awsjson.Handler(s.adminCreateUser)),
		signed("AdminGetUser", awsjson.Handler(s.adminGetUser)),
		signed("AdminDeleteUser", awsjson.Handler(s.adminDeleteUser)),
		signed("AdminConfirmSignUp", awsjson.Handler(s.adminConfirmSignUp)),
		signed("AdminSetUserPassword", awsjson.Handler(s.adminSetUserPassword)),
		signed("AdminUpdateUserAttributes", awsjson.Handler(s.adminUpdateUserAttributes)),
		signed("AdminDeleteUserAttributes", awsjson.Handler(s.adminDeleteUserAttributes)),
		signed("AdminDisableUser", awsjson.Handler(s.adminDisableUser)),
		signed("AdminEnableUser", awsjson.Handler(s.adminEnableUser)),
		signed("AdminResetUserPassword", awsjson.Handler(s.adminResetUserPassword)),
		signed("ListUsers", awsjson.Handler(s.listUsers)),
	}
}
